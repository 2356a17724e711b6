/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // Lessons are compiled on the server with mdx-bundler, which drives esbuild's
  // native binary: both must be required from node_modules, not bundled.
  serverExternalPackages: ['mdx-bundler', 'esbuild'],
  // The custom server (scripts/start.ts) owns /sandbox/*; nothing here may
  // rely on output: 'standalone' or on middleware/proxy for those paths.
};

export default nextConfig;
