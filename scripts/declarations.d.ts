declare module '@elastic/mockotlpserver';
declare module '@elastic/mockopampserver/lib/generated/opamp_pb.js';
declare module '@elastic/mockopampserver';
