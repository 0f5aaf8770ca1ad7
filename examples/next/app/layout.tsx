import type { ReactNode } from "react";

export const metadata = { title: "hookrun Next.js example" };

// System fonts only: the example must build without network access.
export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body style={{ fontFamily: "system-ui, sans-serif", margin: "2rem" }}>{children}</body>
    </html>
  );
}
