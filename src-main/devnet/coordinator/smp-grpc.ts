/**
 * The Secure Model Protocol for the coordinator's client and tests' runners: the services come from
 * the one loader in src-main/common/smp-proto.ts, §5 Variants from src-shared/protocol/smp-variant.ts.
 */
export { loadSmpServices as loadSmpPackage, type SmpServices as SmpPackage } from '@common/smp-proto';
export { decodeVariant, encodeVariant, type Variant, type VariantValue } from '@shared/protocol/smp-variant';
