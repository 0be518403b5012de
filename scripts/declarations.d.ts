declare module '@elastic/mockotlpserver';
declare module '@elastic/mockopampserver';
