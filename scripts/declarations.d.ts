declare module '@elastic/mockotlpserver';
