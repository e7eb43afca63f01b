/** A form's error in words, announced at once (role="alert"); renders nothing without one. */
export function FormError({ error }: { error: string | null | undefined }) {
  if (!error) return null;
  return (
    <p role="alert" className="help help-bad">
      {error}
    </p>
  );
}
