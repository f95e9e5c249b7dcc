/** The sample landing page demo mode serves at `/`: a business site carrying the swap script. */
export function demoLandingPage(siteKey: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Bayside Plumbing — Leadline demo</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0; color: #1d2733; background: #f6f8fb; }
  header { background: #0b5cad; color: #fff; padding: 24px 32px; }
  main { max-width: 720px; margin: 32px auto; background: #fff; padding: 32px; border-radius: 8px; box-shadow: 0 1px 3px #0002; }
  .phone { font-size: 28px; font-weight: 700; }
  .demo { margin-top: 32px; padding: 16px; border: 1px dashed #0b5cad; border-radius: 6px; background: #eef5fd; }
  button { font: inherit; padding: 8px 16px; border-radius: 6px; border: 0; background: #0b5cad; color: #fff; cursor: pointer; }
  code { background: #0001; padding: 1px 4px; border-radius: 3px; }
</style>
</head>
<body>
<header><h1>Bayside Plumbing</h1><p>Same-day repairs across the Bay Area</p></header>
<main>
  <p>Burst pipe? Blocked drain? Call us now:</p>
  <p class="phone"><a href="tel:+14155550100">(415) 555-0100</a></p>
  <p>Open 7 days, 7am–9pm. Text us at <a href="sms:+14155550100">415-555-0100</a>.</p>
  <section class="demo" data-leadline-ignore>
    <strong>Leadline demo.</strong> The number above was swapped by <code>dni.js</code> for a tracking
    number leased to this visit (it was <code>(415) 555-0100</code> in the page's HTML). Try
    <a href="/?utm_source=google&amp;utm_medium=cpc&amp;utm_campaign=spring">this page from a Google ad</a>.
    <p><button id="call">Simulate a call to this number</button> <span id="result"></span></p>
  </section>
</main>
<script src="/dni.js" data-site="${siteKey}" async></script>
<script>
  document.getElementById('call').addEventListener('click', async function () {
    var link = document.querySelector('a[href^="tel:"]');
    var to = link ? link.getAttribute('href').slice(4) : '';
    var out = document.getElementById('result');
    out.textContent = 'calling ' + to + '…';
    var res = await fetch('/demo/v1/calls', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to: to }) });
    var body = await res.json();
    out.textContent = res.ok ? 'call ' + body.callSid + ' recorded (GET /api/v1/calls/' + body.callSid + ')' : body.error.message;
  });
</script>
</body>
</html>`;
}
