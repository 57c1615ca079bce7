// The model controls' views, built from DOM nodes and text (names, ids and paths come from model
// lists, files and their metadata, and are never parsed as HTML): the menu with its sections,
// the note about a fine-tune, and its "Back to E8M1" button (data-action="tune").
import { isAtTuned, menuGroups } from './catalogue.js';

const METHOD_NAME = { lmul: 'L-Mul (adder)', 'lmul-formula': 'L-Mul (formula)', mitchell: 'Mitchell (adder without offset)' };

const node = (tag, props) => Object.assign(document.createElement(tag), props);

// The <select>'s options, in <optgroup>s when there is more than one section.
export function renderMenu(select, entries, selectedId) {
  const option = (e) => node('option', { value: e.id, textContent: e.name });
  const groups = menuGroups(entries);
  select.replaceChildren(...(groups.length === 1
    ? groups[0][1].map(option)
    : groups.map(([label, list]) => {
      const g = node('optgroup', { label });
      g.append(...list.map(option));
      return g;
    })));
  if (selectedId !== undefined) select.value = selectedId;
}

// The button that sets the controls back to a fine-tune's tuned setting t.
export function tuneButton(t) {
  const button = node('button', { type: 'button', className: 'link', textContent: `Back to E${t.E}M${t.M}` });
  button.dataset.action = 'tune';
  return button;
}

// What the current model ({ tuned, base, handle }) was tuned for, and whether the settings are there.
export function renderModelNote(note, model, settings) {
  const t = model?.tuned;
  note.hidden = !t;
  note.dataset.state = t ? (isAtTuned(t, settings) ? 'tuned' : 'away') : 'none';
  if (!t) return note.replaceChildren();
  const s = settings, tuned = `${METHOD_NAME[t.method]} E${t.E}M${t.M}, ${t.rounding} rounding`;
  const baseFile = model.handle.metadata.baseModel?.split(/[/\\]/).pop();
  const sweep = model.base ? `The sweep also runs its base model, “${model.base.name}”, for comparison.`
    : baseFile ? `Its base model (“${baseFile}”) is not in the model list, so the sweep shows this model alone.`
    : 'Its file names no base model, so the sweep shows this model alone.';
  if (note.dataset.state === 'tuned') {
    note.replaceChildren(node('strong', { textContent: `Fine-tuned for ${tuned}` }), `; the controls are set to that. ${sweep}`);
  } else {
    note.replaceChildren(node('strong', { textContent: 'Away from its tuned setting:' }),
      ` fine-tuned for ${tuned}, now used at E${s.E}M${s.M}, L-Mul ${s.variant}, ${s.rounding}. `, tuneButton(t));
  }
}
