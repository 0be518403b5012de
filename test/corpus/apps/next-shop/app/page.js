export default function Home() {
  return <h1>next-shop home</h1>;
}
