import { CATEGORIES } from './catalogue';

/** Categories (which include the types added to them later) and single types, as checkboxes. */
export function SubscriptionPicker({ value, onChange }: { value: string[]; onChange: (next: string[]) => void }) {
  const toggle = (name: string, on: boolean) => onChange(on ? [...value, name] : value.filter((v) => v !== name));
  return (
    <fieldset>
      <legend>Events</legend>
      {CATEGORIES.map(({ category, types }) => (
        <div class="category" key={category}>
          <label>
            <input type="checkbox" checked={value.includes(category)} onChange={(e) => toggle(category, (e.target as HTMLInputElement).checked)} />
            <strong>{category}</strong> (all, including types added later)
          </label>
          <div class="types">
            {types.map((type) => (
              <label key={type}>
                <input type="checkbox" checked={value.includes(type)} onChange={(e) => toggle(type, (e.target as HTMLInputElement).checked)} />
                {type}
              </label>
            ))}
          </div>
        </div>
      ))}
    </fieldset>
  );
}
