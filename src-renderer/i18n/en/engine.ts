export default {
  crashed: 'The download engine stopped unexpectedly ({detail}). Starting it again…',
  back: 'The download engine is running again; unfinished downloads continue where they stopped.',
};
