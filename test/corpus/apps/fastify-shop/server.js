// Fastify 5 with an encapsulated plugin under a prefix, and Redis for the data.
const fastify = require('fastify')({ logger: false });
const Redis = require('ioredis');

const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });

fastify.register(
  async (api) => {
    api.get('/items/:id', async (request) => {
      await redis.set(`fastify-shop:item:${request.params.id}`, 'seen');
      return { id: request.params.id, seen: await redis.get(`fastify-shop:item:${request.params.id}`) };
    });
    api.get('/health', async () => ({ ok: true }));
  },
  { prefix: '/api' },
);

fastify.listen({ port: Number(process.env.PORT), host: '127.0.0.1' }).then(() => {
  console.log(`fastify-shop listening ${process.env.PORT}`);
});

// Graceful stop, as Fastify's docs show: close the server, then the client, then exit.
process.on('SIGTERM', async () => {
  await fastify.close();
  await redis.quit();
  console.log('fastify-shop stopped');
});
