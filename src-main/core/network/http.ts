/** Moved to src-main/common/http.ts (shared with the practice network); kept so imports keep working. */
export { httpError, httpJson, type HttpAnswer } from '@common/http';
