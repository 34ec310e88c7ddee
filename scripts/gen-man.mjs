// Writes the man pages from the built bundles' own --help, so the pages cannot drift from the
// options the programs accept. Prints {"irqkit": roff, "irqkitd": roff} as JSON.
import { execFileSync } from 'node:child_process';

const version = process.argv[2] ?? 'dev';
const help = (bundle, args) => {
  try {
    return execFileSync(process.execPath, [bundle, ...args], { encoding: 'utf8' });
  } catch (e) {
    // `irqkit` with no command prints help and exits 64 on purpose.
    if (typeof e.stdout === 'string' && e.stdout.length > 0) return e.stdout;
    throw e;
  }
};

/** Escapes text for roff: backslashes, and lines that would start with a control character. */
const esc = (text) =>
  text
    .replace(/\\/g, '\\e')
    .split('\n')
    .map((l) => (/^[.']/.test(l) ? `\\&${l}` : l))
    .join('\n');

const block = (text) => `.nf\n${esc(text.trimEnd())}\n.fi\n`;

const date = new Date().toISOString().slice(0, 10);

const main = help('dist/irqkit.cjs', ['--help']);
const commands = [...main.matchAll(/^ {2}([a-z]+) {2,}/gm)].map((m) => m[1]);
let irqkit = `.TH IRQKIT 1 "${date}" "irqkit ${version}" "User Commands"
.SH NAME
irqkit \\- plan IRQ placement and talk to irqkitd
.SH SYNOPSIS
.B irqkit
.I command
.RI [ options ]
.SH DESCRIPTION
irqkit measures interrupt rates and places IRQs on CPUs so that the busiest CPU carries as
little interrupt load as possible. Some commands work offline on a /proc/interrupts-style file;
the others talk to the
.BR irqkitd (8)
daemon.
.PP
${block(main)}`;
for (const c of commands) {
  irqkit += `.SH "${c.toUpperCase()}"\n${block(help('dist/irqkit.cjs', [c, '--help']))}`;
}
irqkit += `.SH ENVIRONMENT
.TP
.B IRQKIT_URL
the irqkitd to talk to when --url is not given.
.TP
.B NO_COLOR
no colours when set.
.SH SEE ALSO
.BR irqkitd (8)
`;

const daemonHelp = help('dist/irqkitd.cjs', ['--help']);
const irqkitd = `.TH IRQKITD 8 "${date}" "irqkit ${version}" "System Administration"
.SH NAME
irqkitd \\- watch interrupt distribution and set IRQ affinity over a REST API
.SH SYNOPSIS
.B irqkitd
.RI [ options ]
.SH DESCRIPTION
${block(daemonHelp)}.SH FILES
.TP
.I /etc/default/irqkitd
options (IRQKITD_OPTS) for the init script, the systemd unit and the upstart job.
.TP
.I /var/log/irqkitd.log
the daemon's JSON-lines log when started by the SysV script or upstart.
.SH SEE ALSO
.BR irqkit (1)
`;

process.stdout.write(JSON.stringify({ irqkit, irqkitd }));
