// The "which incidents" choice every analytics view offers: real and demo (include), real only (exclude) or demo
// only (only), as the API's one `demo` parameter.
import { DEMO_PARAMS, type DemoParam } from "../api-types";

const LABEL: Record<DemoParam, string> = { include: "real and demo", exclude: "real only", only: "demo only" };

/** `demo` from an address (`#/incidents?demo=only`); anything else means the default, all incidents. */
export function demoParam(v: string | null | undefined): DemoParam {
  return DEMO_PARAMS.find((d) => d === v) ?? "include";
}

export function DemoSelect(props: {
  value: DemoParam;
  onChange: (v: DemoParam) => void;
  label?: string;
  name?: string;
  inline?: boolean;
}) {
  return (
    <label className={props.inline ? "inline" : undefined}>
      {props.label ?? "Incidents"}
      <select
        value={props.value}
        name={props.name ?? "demo"}
        onChange={(e) => props.onChange(demoParam(e.target.value))}
      >
        {DEMO_PARAMS.map((d) => (
          <option key={d} value={d}>
            {LABEL[d]}
          </option>
        ))}
      </select>
    </label>
  );
}
