/** The Environments panel's icon: stacked layers (an env) with a play mark (a kernel). */
import { LabIcon } from '@jupyterlab/ui-components';

const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M12 2 2 7l10 5 10-5-10-5zm0 12.2L4.2 10.3 2 11.4l10 5 10-5-2.2-1.1L12 14.2z"/>
    <path d="M12 18.6 4.2 14.7 2 15.8l10 5 4-2v-2.3l-4 2.1z"/>
    <path d="M17.5 14.5v7l5.5-3.5z"/>
  </g>
</svg>`;

export const environmentsIcon = new LabIcon({ name: 'kernelenv:environments', svgstr: svg });
