// discipline.js: placeholder until its engineer's pages land (app.js imports every module under pages/).
export const pages = [];
