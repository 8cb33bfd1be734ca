using System.Text.Json.Nodes;

namespace Inference.Delivery.Tests.Support;

/// <summary>
/// Runs a workflow's own 'run' script here, as GitHub's runner does (bash -e -o pipefail, from the repository root),
/// with stand-ins for the commands it calls: the 'aws' and 'inference' stand-ins answer from files the test writes and
/// record what the script sent, so a test reads what AWS would have received. jq, sed and grep are the real ones.
/// Given the real aws CLI (<see cref="RealAws"/>), the stand-in also has it check 'deploy create-deployment' offline.
/// </summary>
public sealed class WorkflowSteps : IDisposable
{
    // Answers the calls the release scripts make. Keyed on the words after 'aws'; a file:// argument is kept as sent.
    // Answers that change between calls (a CodeDeploy deployment's status) are lines of a file, one per call, the
    // last one repeating.
    private const string FakeAws = """
        #!/usr/bin/env bash
        set -euo pipefail
        echo "aws $*" >> "$SANDBOX/calls"
        # The real CLI checks the parameters (names, shapes, types) offline and sends nothing.
        if [ -n "${REAL_AWS:-}" ] && [ "$1 $2" = "deploy create-deployment" ]; then
          "$REAL_AWS" "$@" --generate-cli-skeleton output --region us-east-1 > /dev/null
        fi
        # SageMaker's calls: the real CLI validates them against an endpoint that refuses connections; only "Could not
        # connect" means every parameter passed (its skeleton output fails on SageMaker's own length rules).
        if [ -n "${REAL_AWS:-}" ] && [ "$1" = sagemaker ] && case "$2" in create-* | update-*) true ;; *) false ;; esac; then
          check="$(AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_SESSION_TOKEN= AWS_MAX_ATTEMPTS=1 AWS_RETRY_MODE=standard \
            "$REAL_AWS" "$@" --endpoint-url http://127.0.0.1:9 --region us-east-1 2>&1 || true)"
          if ! grep -q "Could not connect to the endpoint URL" <<<"$check"; then
            echo "$check" >&2
            exit 255
          fi
        fi
        next() {
          local file="$SANDBOX/$1" line
          [ -f "$file" ] || { echo "The aws stand-in has no answer in $1." >&2; exit 255; }
          line="$(head -n 1 "$file")"
          if [ "$(grep -c '' "$file")" -gt 1 ]; then sed -i 1d "$file"; fi
          echo "$line"
        }
        function_name=""
        repository=""
        previous=""
        for argument in "$@"; do
          if [ "$previous" = "--function-name" ]; then function_name="$argument"; fi
          if [ "$previous" = "--repository-name" ]; then repository="$argument"; fi
          case "$argument" in file://*) cp "${argument#file://}" "$SANDBOX/sent-${1}-${2}-${function_name}.json" ;; esac
          previous="$argument"
        done
        case "$1 $2 $*" in
          "lambda get-function-configuration "*"--query Environment.Variables"*) cat "$SANDBOX/environment-$function_name.json" ;;
          "lambda get-function-configuration "*"--query RevisionId"*) echo revision-1 ;;
          "lambda publish-version "*) echo 4 ;;
          "lambda get-alias "*) echo 3 ;;
          "deploy create-deployment "*) echo d-TESTDEPLOY ;;
          "deploy get-deployment "*)
            state="$(next codedeploy-states)"
            case "$state" in Error:*) echo "${state#Error: }" >&2; exit 254 ;; *) echo "$state" ;; esac ;;
          "deploy stop-deployment "*) echo '{"status": "Pending", "statusMessage": "Stopping"}' ;;
          "ecr describe-images "*)
            # One line per call: a digest, "none" (no image has the tag yet) or "Error: ..." (any other failure).
            digest="$(next "ecr-$repository")"
            case "$digest" in
              none) echo "An error occurred (ImageNotFoundException) when calling the DescribeImages operation: The image with imageId {imageTag:'$GITHUB_SHA'} does not exist within the repository with name '$repository'" >&2; exit 254 ;;
              Error:*) echo "${digest#Error: }" >&2; exit 254 ;;
              *) echo "$digest" ;;
            esac ;;
          "ecs describe-task-definition "*) cat "$SANDBOX/task-definition-described.json" ;;
          # One compact JSON document per call, the last repeating (an endpoint changes while a release runs).
          "sagemaker describe-endpoint "*) next sagemaker-endpoint ;;
          "sagemaker describe-endpoint-config "*) cat "$SANDBOX/endpoint-config.json" ;;
          "sagemaker describe-model "*)
            if [ -f "$SANDBOX/model-exists" ]; then echo model; else
              echo "An error occurred (ValidationException) when calling the DescribeModel operation: Could not find model \"$4\"." >&2; exit 254
            fi ;;
          "sagemaker describe-training-job "*) cat "$SANDBOX/training-job.json" ;;
          "sagemaker create-"* | "sagemaker update-"*) echo '{}' ;;
          "s3api head-object "*) cat "$SANDBOX/head-object" ;;
          "s3api list-objects-v2 "*) cat "$SANDBOX/key-count" ;;
          "s3 cp "*) cp "$SANDBOX/export.tar.gz" "$4" ;;
        esac
        """;

    // docker as the image scripts use it: build, push (refused when the tag exists, as an immutable repository does),
    // inspect (the digest the registry gave the push).
    private const string FakeDocker = """
        #!/usr/bin/env bash
        set -euo pipefail
        echo "docker $*" >> "$SANDBOX/calls"
        case "$1" in
          build) ;;
          push)
            if [ -f "$SANDBOX/push-refused" ]; then
              echo "tag invalid: The image tag '${2##*:}' already exists in the repository and cannot be overwritten because the repository is immutable." >&2
              exit 1
            fi ;;
          inspect) echo "${@: -1}" | sed "s|:[^:/]*\$|@$(cat "$SANDBOX/pushed-digest")|" ;;
        esac
        """;

    // 'inference' answers what the test wrote for the verbs the release scripts read; every call is recorded.
    private const string FakeInference = """
        #!/usr/bin/env bash
        set -euo pipefail
        echo "inference $*" >> "$SANDBOX/calls"
        case "$*" in
          "registry model show "*) cat "$SANDBOX/model.json" ;;
          "registry model list "*) if [ -f "$SANDBOX/models.json" ]; then cat "$SANDBOX/models.json"; else echo '[]'; fi ;;
          "registry model register "*) cat "$SANDBOX/registered.json" ;;
          "registry deployment current "*) cat "$SANDBOX/current-deployment.json" ;;
          "model push "* | "model package-sagemaker "*) cat "$SANDBOX/pin.json" ;;
          "model init "*)
            previous=""
            for argument in "$@"; do
              if [ "$previous" = --output ]; then echo '{"name": "written by model init"}' > "$argument"; fi
              previous="$argument"
            done ;;
          "registry deployment rollback-target "*) cat "$SANDBOX/rollback-target.json" ;;
          "registry deployment start "*) echo 0123456789abcdef01234567 ;;
        esac
        """;

    /// <summary>The commit the steps run for ($GITHUB_SHA).</summary>
    public const string Sha = "0123456789abcdef0123456789abcdef01234567";

    public WorkflowSteps()
    {
        Tool.Jq();
        Directory = System.IO.Directory.CreateTempSubdirectory("workflow-step-").FullName;
        var bin = System.IO.Directory.CreateDirectory(Path.Combine(Directory, "bin")).FullName;
        System.IO.Directory.CreateDirectory(Path.Combine(Directory, "runner-temp"));
        Write(Path.Combine(bin, "aws"), FakeAws);
        Write(Path.Combine(bin, "inference"), FakeInference);
        Write(Path.Combine(bin, "docker"), FakeDocker);
        Bin = bin;
    }

    /// <summary>Where the stand-ins read their answers and write what they were sent.</summary>
    public string Directory { get; }

    private string Bin { get; }

    public string RunnerTemp => Path.Combine(Directory, "runner-temp");

    /// <summary>The aws CLI that checks the parameters of calls it can check offline; none when null.</summary>
    public string? RealAws { get; init; }

    /// <summary>Every command the stand-ins saw, one per line, in order.</summary>
    public IReadOnlyList<string> Calls => File.Exists(Path.Combine(Directory, "calls")) ? File.ReadAllLines(Path.Combine(Directory, "calls")) : [];

    /// <summary>The script of the step with this name in this job of the workflow.</summary>
    public static string Script(string workflow, string job, string step)
    {
        var steps = CloudFormation.Load(workflow)["jobs"]![job]!["steps"]!.AsArray();
        var found = steps.SingleOrDefault(s => (string?)s!["name"] == step);
        Assert.True(found is not null, $"{Path.GetFileName(workflow)} has no step '{step}' in job '{job}'.");
        return (string)found!["run"]!;
    }

    /// <summary>The environment a job gives all its steps, with expressions left as written.</summary>
    public static JsonObject JobEnvironment(string workflow, string job) =>
        CloudFormation.Load(workflow)["jobs"]![job]!["env"]!.AsObject();

    /// <summary>What the 'aws' stand-in answers for a function's environment (--query Environment.Variables).</summary>
    public void FunctionEnvironment(string function, JsonNode? variables) =>
        File.WriteAllText(Path.Combine(Directory, $"environment-{function}.json"), variables?.ToJsonString() ?? "null");

    /// <summary>What the 'inference' stand-in answers for 'registry model show … --json'.</summary>
    public void ModelShown(string json) => File.WriteAllText(Path.Combine(Directory, "model.json"), json);

    /// <summary>Writes a file the stand-ins answer from (see their scripts for the names).</summary>
    public void Answer(string name, string content) => File.WriteAllText(Path.Combine(Directory, name), content);

    /// <summary>The step's $GITHUB_OUTPUT, name to value.</summary>
    public IReadOnlyDictionary<string, string> Outputs => File.Exists(Path.Combine(Directory, "github-output"))
        ? File.ReadAllLines(Path.Combine(Directory, "github-output")).Select(l => l.Split('=', 2)).GroupBy(p => p[0], StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last()[1], StringComparer.Ordinal)
        : new Dictionary<string, string>();

    /// <summary>The JSON the script handed to 'aws SERVICE OPERATION' as file://… for a function (or "" for none).</summary>
    public JsonNode? Sent(string service, string operation, string function = "")
    {
        var path = Path.Combine(Directory, $"sent-{service}-{operation}-{function}.json");
        return File.Exists(path) ? JsonNode.Parse(File.ReadAllText(path)) : null;
    }

    public async Task<(int ExitCode, string Output)> RunAsync(string script, IReadOnlyDictionary<string, string> environment)
    {
        var path = Path.Combine(Directory, "step.sh");
        await File.WriteAllTextAsync(path, script);
        var variables = new Dictionary<string, string>(environment, StringComparer.Ordinal)
        {
            ["PATH"] = $"{Bin}:{Environment.GetEnvironmentVariable("PATH")}",
            ["SANDBOX"] = Directory,
            ["RUNNER_TEMP"] = RunnerTemp,
            ["GITHUB_OUTPUT"] = Path.Combine(Directory, "github-output"),
            ["GITHUB_ENV"] = Path.Combine(Directory, "github-env"),
            ["GITHUB_STEP_SUMMARY"] = Path.Combine(Directory, "github-step-summary"),
            ["GITHUB_SHA"] = Sha,
            ["REAL_AWS"] = RealAws ?? string.Empty,
        };
        return await Tool.RunInAsync(DeliveryFiles.Root, variables, "bash", "--noprofile", "--norc", "-eo", "pipefail", path);
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);

    private static void Write(string path, string script)
    {
        File.WriteAllText(path, script.ReplaceLineEndings("\n") + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }
}
