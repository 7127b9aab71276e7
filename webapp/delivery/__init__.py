"""Getting signatures to teammates: private links, the export API, and (later) Gmail or Outlook push."""
