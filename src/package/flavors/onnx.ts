import { nativeFileWriter } from './native-model-file.js';

/**
 * `--flavor onnx --model-file model.onnx`: an ONNX ModelProto, written as
 * `mlflow.onnx.save_model` does (mlflow/onnx/__init__.py): `model.onnx`, MLflow's default
 * execution providers, no session options, onnxruntime as a default requirement. MLflow's
 * onnx save_model infers no signature from the input example.
 */
export const onnxWriter = nativeFileWriter({
  name: 'onnx',
  file: 'an ONNX model (.onnx, a ModelProto with its weights inside)',
  target: () => ({ name: 'model.onnx', kinds: ['onnx'] }),
  library: { distributions: ['onnx'], versionKey: 'onnx_version' },
  section: () => ({ onnx_session_options: null, providers: ['CUDAExecutionProvider', 'CPUExecutionProvider'] }),
  extraDefaults: [{ name: 'onnxruntime', reason: 'flavor default: the onnx flavor runs the model with onnxruntime' }],
  infersSignature: false,
});
