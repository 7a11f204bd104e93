// Only what Brink's charts draw is registered, to keep chart.js's share of the bundle small.
import { BarController, BarElement, CategoryScale, Chart, LinearScale, Tooltip } from 'chart.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip);

// The app's own font and colours (app.css), never a web font.
Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'Helvetica Neue', Arial, sans-serif";
Chart.defaults.font.size = 12;
Chart.defaults.color = '#5a6472';
Chart.defaults.borderColor = '#e4e7eb';
Chart.defaults.animation = false;
Chart.defaults.maintainAspectRatio = false;

export const chartColors = {
  bar: '#7f9be0',
  barBorder: '#5f80d4',
  accent: '#2d5bcf',
  text: '#1d2329',
  muted: '#5a6472',
};

export { Chart };
