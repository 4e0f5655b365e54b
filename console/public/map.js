// Her terminal's latest position on a map. Leaflet is served by the app itself (vendor/leaflet/);
// the tiles come from the configured tile server and may fail to load: the marker never depends on them.
import { ago, h } from './dom.js';

export const POSITION_SOURCE = { sip_invite: 'Llamada del terminal', scaip: 'Alarma del terminal (SCAIP)', platform: 'Plataforma de terminales' };

let configLoad = null;
const mapConfig = () => (configLoad ??= fetch('map-config.json', { credentials: 'same-origin' })
  .then((r) => (r.ok ? r.json() : { tileUrl: null, attribution: '' }))
  .catch(() => ({ tileUrl: null, attribution: '' })));
let leafletLoad = null;
const leaflet = () => (leafletLoad ??= import('./vendor/leaflet/leaflet-src.esm.js'));

/** A map centred on the position, with its accuracy circle and a marker labelled with the position's age. */
export function positionMap(p) {
  const age = ago(p.at);
  const el = h('div', { class: 'position-map', role: 'region', 'aria-label': `Mapa con la última posición del terminal, ${age}` });
  void draw(el, p, age).catch(() => {
    el.replaceChildren(h('p', { class: 'none' }, 'No se ha podido cargar el mapa.'));
  });
  return el;
}

async function draw(el, p, age) {
  const [L, config] = await Promise.all([leaflet(), mapConfig()]);
  const at = [p.lat, p.lon];
  const map = L.map(el, { attributionControl: Boolean(config.attribution), scrollWheelZoom: false }).setView(at, p.accuracyM > 500 ? 14 : 16);
  if (config.tileUrl) L.tileLayer(config.tileUrl, { maxZoom: 19, attribution: config.attribution }).addTo(map);
  if (p.accuracyM) L.circle(at, { radius: p.accuracyM, weight: 1, className: 'position-accuracy' }).addTo(map);
  const marker = L.marker(at, { icon: L.divIcon({ className: 'position-marker', iconSize: [18, 18] }), keyboard: false,
    title: `Posición ${age}` }).addTo(map);
  marker.bindTooltip(h('span', { class: 'position-age' }, age), { permanent: true, direction: 'top', offset: [0, -10] });
  const dot = marker.getElement();
  dot.dataset.lat = String(p.lat);
  dot.dataset.lon = String(p.lon);
  // the pop is laid out after this element is created: measure again once it is on screen
  requestAnimationFrame(() => map.invalidateSize());
}
