/** The image of container lanes unless container.image says otherwise (`isolane image build` makes it). */
export const DEFAULT_IMAGE = 'isolane/base:bookworm';
