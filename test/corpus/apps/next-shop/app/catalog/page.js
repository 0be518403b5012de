import { headers } from 'next/headers';

export const dynamic = 'force-dynamic';

// A page that fetches the app's own API, as many Next.js apps do.
export default async function Catalog() {
  const host = (await headers()).get('host');
  const item = await (await fetch(`http://${host}/api/items/7`, { cache: 'no-store' })).json();
  return <p>catalog has {item.name}</p>;
}
