// Only what Brink's charts draw is registered, to keep chart.js's share of the bundle small.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  ScatterController,
  Tooltip,
} from 'chart.js';

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  LinearScale,
  LogarithmicScale,
  LineController,
  LineElement,
  PointElement,
  ScatterController,
  Filler,
  Legend,
  Tooltip,
);

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
  /** Clean inputs beside adversarial ones (the sample explorer's logits). */
  clean: '#7f9be0',
  adversarial: '#d9822b',
  /** One colour per series of a line chart, in order; the last one is for the combined series. */
  series: ['#2d5bcf', '#d9822b', '#1d7a3a', '#8e44ad', '#1d2329'],
  /** Correct and misclassified samples in scatter plots. */
  correct: 'rgba(45, 91, 207, 0.45)',
  wrong: 'rgba(217, 130, 43, 0.8)',
  /** A confidence band behind its line. */
  band: 'rgba(45, 91, 207, 0.2)',
};

// The legend is on only where a chart asks for it.
Chart.defaults.plugins.legend.display = false;

export { Chart };
