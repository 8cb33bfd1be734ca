namespace Inference.Testing;

/// <summary>
/// The jongodb server that scripts/mongo-server.sh starts on 127.0.0.1 (its URI arrives as REGISTRY_MONGO_URI).
/// Tests isolate by database. They skip without a server, unless the run requires its servers (scripts/test.sh).
/// </summary>
public static class MongoTestServer
{
    public static string? Uri => Environment.GetEnvironmentVariable("REGISTRY_MONGO_URI");

    public static bool Available => !string.IsNullOrEmpty(Uri);

    public static void Require()
    {
        if (!Available && Environment.GetEnvironmentVariable("INFERENCE_REQUIRE_TOOLS") == "1")
        {
            throw new InvalidOperationException("REGISTRY_MONGO_URI is not set, but this run requires the MongoDB test server.");
        }

        Xunit.Skip.IfNot(Available, "No MongoDB test server: start one with 's=$(scripts/mongo-server.sh start) && eval \"$s\"' (scripts/test.sh does).");
    }

    /// <summary>A database name no other test uses.</summary>
    public static string NewDatabaseName() => $"test_{Guid.NewGuid():N}";
}
