// CSS imports (`styles.css?inline`) are text in the build; tests only need a string.
module.exports = "";
