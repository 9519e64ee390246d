/** A labelled on/off switch (a checkbox with role=switch). */
export function Toggle({
  label,
  checked,
  disabled,
  onChange,
  hideLabel,
}: {
  label: string
  checked: boolean
  disabled?: boolean
  onChange: (checked: boolean) => void
  hideLabel?: boolean
}) {
  return (
    <label className="toggle">
      <input type="checkbox" role="switch" checked={checked} disabled={disabled} onChange={(e) => onChange(e.target.checked)} />
      <span className={hideLabel ? 'visually-hidden' : undefined}>{label}</span>
    </label>
  )
}
