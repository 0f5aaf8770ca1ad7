export default function Home() {
  return (
    <main>
      <h1>hookrun on Next.js</h1>
      <p>
        POST JSON to <code>/inbound-webhooks/&lt;webhook-id&gt;</code> with <code>Authorization: Bearer &lt;token&gt;</code>.
        The agent&apos;s runs are printed on the server&apos;s stdout.
      </p>
    </main>
  );
}
