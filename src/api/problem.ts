/** The body of every error irqkitd answers with: RFC 7807 problem details (application/problem+json). */
import { type Static, Type } from '@sinclair/typebox';
import { ErrorCodeSchema } from './schemas.ts';

export const Problem = Type.Object(
  {
    type: Type.String({ description: "'urn:irqkit:error:' followed by the code" }),
    title: Type.String({ description: 'The HTTP reason phrase of the status' }),
    status: Type.Integer({ minimum: 400, maximum: 599 }),
    detail: Type.String({ description: 'What went wrong, for people' }),
    code: ErrorCodeSchema,
    errors: Type.Optional(
      Type.Array(Type.Object({ path: Type.String(), message: Type.String() }), {
        description: 'Every invalid part of the request (IRQ_ERR_USAGE from validation)',
      }),
    ),
  },
  {
    additionalProperties: true,
    description: 'RFC 7807 problem details; extra members are facts about the error',
  },
);
/** Extra members (irq, cpu, allow, retryAfterSeconds …) depend on the error. */
export type Problem = Static<typeof Problem> & { [extra: string]: unknown };
