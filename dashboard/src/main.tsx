import { render } from 'preact';
import { App } from './app.tsx';
import './styles.css';

const root = document.getElementById('app');
if (root) {
  // Replaces the <noscript> fallback.
  root.textContent = '';
  render(<App />, root);
}
