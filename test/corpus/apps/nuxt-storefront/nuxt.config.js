export default defineNuxtConfig({ telemetry: false, devtools: { enabled: false } })
