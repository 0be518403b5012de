// The SDK as the rest of the preload sees it: the providers and their registration
// (providers/), fed by the export queue (queue/), which sends through export/; resource/ names the
// service. Code outside sdk/ imports this file, the transports and a few types (docs/architecture.md, "Layers").
export * from './providers';
