// Calls the app's own API over HTTP (global fetch), as a BFF route calling a service would.
export default defineEventHandler(async () => {
  const res = await fetch(`http://127.0.0.1:${process.env.PORT}/api/items`);
  return { items: await res.json() };
})
