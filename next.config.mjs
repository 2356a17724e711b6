/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // Lessons are compiled on the server with mdx-bundler, which drives esbuild's
  // native binary: both must be required from node_modules, not bundled.
  serverExternalPackages: ['mdx-bundler', 'esbuild'],
  // Instructor pages hold a secret in their fragment and open the dashboard: no Referer leaves them
  // (the pages' <meta name="referrer"> says the same; the header covers the first request too).
  async headers() {
    return [{ source: '/workshops/:path*', headers: [{ key: 'Referrer-Policy', value: 'no-referrer' }] }];
  },
  // The custom server (scripts/start.ts) owns /sandbox/*; nothing here may
  // rely on output: 'standalone' or on middleware/proxy for those paths.
};

export default nextConfig;
