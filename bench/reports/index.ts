export { renderText } from './text.js';
export { renderMarkdown } from './markdown.js';
export { renderHtml } from './html.js';
