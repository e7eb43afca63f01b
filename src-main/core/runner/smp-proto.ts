/** The Secure Model Protocol services: loaded once for core and the practice coordinator in src-main/common. */
export { loadSmpServices as smpServices, type SmpServices } from '@common/smp-proto';
