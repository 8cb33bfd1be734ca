// Compiled with TypeScript against the client types openapi-typescript generates from the service's OpenAPI document
// (tests/Inference.Api.Tests/OpenApiDocumentTests.cs). Every line is something a generated client must allow, and
// each fails to compile against a document that describes the answers wrongly.
import type { components, paths } from "./api";

type Native = components["schemas"]["DetectionResponse"];
type Detect = paths["/v1/detect"]["post"]["responses"][200]["content"]["application/json"];

// One image is answered with an object, several with a list: both must be valid answers.
const single: Detect = {} as Native;
const several: Detect = [] as Native[];
const first = (answer: Detect): Native => (Array.isArray(answer) ? answer[0] : answer);

// Numbers are numbers, not "number or string".
const totalMs: number = first(single).timings.total_ms;
const x1: number = first(single).detections[0].box.x1;
const confidence: number = first(single).detections[0].confidence;

// Problems carry the code clients switch on, and the extensions.
const problem = {} as components["schemas"]["ProblemDetails"];
const code: string = problem.code;
const status: number = problem.status;
const imageIndex: number | undefined = problem.image_index;
const errors: Record<string, string[]> | undefined = problem.errors;

// Roboflow's inference server answers one image with an object and a list with a list, with numeric boxes.
type Roboflow = paths["/infer/object_detection"]["post"]["responses"][200]["content"]["application/json"];
const roboflow: Roboflow = {} as components["schemas"]["RoboflowResponse"];
const roboflowList: Roboflow = [] as components["schemas"]["RoboflowResponse"][];
const centreX: number = ({} as components["schemas"]["RoboflowPrediction"]).x;

// The Open Inference Protocol's request body is typed, down to the BYTES input.
type Infer = NonNullable<paths["/v2/models/{name}/infer"]["post"]["requestBody"]>["content"]["application/json"];
const infer: Infer = { inputs: [{ name: "images", datatype: "BYTES", shape: [1], data: ["aGk="] }], parameters: { confidence: 0.4 } };

export { several, totalMs, x1, confidence, code, status, imageIndex, errors, roboflow, roboflowList, centreX, infer };
