/**
 * An ensemble's upload as `POST /v1/ensembles` takes it: multipart, the
 * manifest and either one stacked `weights` file or one `member` file per
 * member (each a PyTorch `state_dict` saved with safetensors), in order.
 */

/** A file's bytes: a `Blob` (a browser's `File`), or bytes in memory (a Node `Buffer` is a `Uint8Array`). */
export type FileContent = Blob | ArrayBuffer | ArrayBufferView;

/** The manifest: the object itself (sent as JSON), its JSON text, or a file holding it. */
export type ManifestContent = Blob | string | object;

export type EnsembleUpload =
  | {
      readonly manifest: ManifestContent;
      /** One safetensors file per member, in member order: stacked by the service. */
      readonly members: readonly FileContent[];
    }
  | {
      readonly manifest: ManifestContent;
      /** The stacked safetensors file (`ensemble stack`). */
      readonly weights: FileContent;
    };

/** The multipart body of an upload; a bad upload is refused here, naming what is missing. */
export function uploadForm(upload: EnsembleUpload): FormData {
  const form = new FormData();
  form.append('manifest', manifestBlob(upload.manifest), 'manifest.json');
  if ('weights' in upload) {
    form.append('weights', fileBlob(upload.weights), 'stacked.safetensors');
  } else {
    if (upload.members.length === 0)
      throw new TypeError('an upload needs member files (one per member) or a weights file; members is empty');
    upload.members.forEach((member, index) => {
      form.append('member', fileBlob(member), `member${index}.safetensors`);
    });
  }
  return form;
}

function manifestBlob(manifest: ManifestContent): Blob {
  if (manifest instanceof Blob) return manifest;
  const text = typeof manifest === 'string' ? manifest : JSON.stringify(manifest);
  return new Blob([text], { type: 'application/json' });
}

function fileBlob(content: FileContent): Blob {
  if (content instanceof Blob) return content;
  // A view of its bytes, whatever the typed array: Blob copies them.
  const bytes =
    content instanceof ArrayBuffer ? new Uint8Array(content) : new Uint8Array(content.buffer, content.byteOffset, content.byteLength);
  return new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' });
}
