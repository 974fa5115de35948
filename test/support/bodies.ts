/** A registration body for a small grey x-ray dataset, as `POST /v1/datasets` takes it. */
export function datasetRegistration(id: string, name: string, description: string): Record<string, unknown> {
  return {
    id,
    name,
    description,
    origin: 'medical',
    modality: 'x-ray',
    images: 10,
    classes: 2,
    image_size: '28x28',
    channels: 1,
    licence: 'CC-BY-4.0',
  };
}
