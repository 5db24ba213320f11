/** `@liveframe/web`: the React client library (the dashboard app is not exported). */
export * from './client/index.ts';
