/** The dashboard's stylesheet, served as `assets/app.css`. System fonts only: nothing from the network. */
export const DASHBOARD_CSS = `:root{color-scheme:light dark;--fg:#1d2330;--muted:#667085;--bg:#fff;--line:#e3e6ec;--accent:#2f5bd3;--bad:#c0362c;--good:#1f7a3d;--warn:#a86400;--code:#f5f6f8}
@media (prefers-color-scheme:dark){:root{--fg:#e6e8ee;--muted:#98a1b3;--bg:#14171d;--line:#2b303a;--accent:#7ea2ff;--bad:#ff7b70;--good:#5fd38a;--warn:#f0b45a;--code:#1c2029}}
*{box-sizing:border-box}
[hidden]{display:none!important}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{border-bottom:1px solid var(--line);padding:.6rem 1.2rem}
nav{display:flex;gap:1.1rem;align-items:center}
nav a{color:var(--muted);text-decoration:none}
nav a.active,nav a:hover{color:var(--fg)}
.role{margin-left:auto;color:var(--muted);font-size:12px}
#app{padding:1rem 1.2rem;max-width:1400px}
h1{font-size:1.35rem;margin:.2rem 0 .8rem}
h2{font-size:1.05rem;margin:1.4rem 0 .5rem}
h3,h4{font-size:.95rem;margin:.3rem 0}
a{color:var(--accent)}
table{border-collapse:collapse;width:100%;margin:.4rem 0}
th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid var(--line);vertical-align:top;overflow-wrap:anywhere}
th{color:var(--muted);font-weight:500}
.mono,pre,code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
pre{background:var(--code);padding:.6rem;border-radius:4px;max-height:28rem;overflow:auto;white-space:pre-wrap;overflow-wrap:anywhere;margin:.3rem 0}
.muted{color:var(--muted)}
.error{color:var(--bad)}
.badge{display:inline-block;padding:0 .45rem;border-radius:9px;font-size:12px;border:1px solid currentColor}
.status-succeeded{color:var(--good)}.status-failed{color:var(--bad)}.status-retrying{color:var(--warn)}.status-running,.status-queued{color:var(--accent)}.status-other{color:var(--muted)}
.level-error{color:var(--bad)}.level-warn{color:var(--warn)}
.filters{display:flex;gap:.5rem;flex-wrap:wrap;margin-bottom:.6rem}
input,select,button{font:inherit;padding:.25rem .5rem;border:1px solid var(--line);border-radius:4px;background:var(--bg);color:var(--fg)}
button{cursor:pointer}
button:disabled{opacity:.5;cursor:not-allowed}
button.danger{border-color:var(--bad);color:var(--bad)}
.new-runs{display:block;width:100%;margin:.4rem 0;border-color:var(--accent);color:var(--accent)}
.banner{padding:.5rem .7rem;border-radius:4px;border:1px solid currentColor}
.banner.ok{color:var(--good)}
.replay-all{margin:.5rem 0;display:flex;gap:.5rem;align-items:center;flex-wrap:wrap}
.replay-all p{margin:0}
.meta{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:.6rem 0}
.meta dt{color:var(--muted)}.meta dd{margin:0;overflow-wrap:anywhere}
.attempts{list-style:none;padding:0;margin:0}
.attempt{border-left:3px solid var(--good);padding:.2rem .8rem;margin:.6rem 0}
.attempt.failed{border-left-color:var(--bad)}
.step{border-left:3px solid var(--line);padding:.1rem .8rem;margin:.5rem 0}
details summary{cursor:pointer;color:var(--muted)}
`;
