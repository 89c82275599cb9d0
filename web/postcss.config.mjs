// Tailwind CSS v4 through PostCSS (Next.js runs it on app/globals.css); the configuration lives in that stylesheet.
const config = {
  plugins: { "@tailwindcss/postcss": {} },
};

export default config;
