export default defineEventHandler(() => Array.from({ length: 3 }, (_, i) => ({ id: i + 1 })))
