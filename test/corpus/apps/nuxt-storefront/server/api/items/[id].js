export default defineEventHandler((event) => ({ id: Number(getRouterParam(event, 'id')), name: `item ${getRouterParam(event, 'id')}` }))
