using Inference.Registry.Datasets;
using Inference.Registry.Deployments;
using Inference.Registry.Models;
using MongoDB.Bson;
using MongoDB.Bson.Serialization.Conventions;
using MongoDB.Driver;

namespace Inference.Registry.Storage;

/// <summary>
/// The registry's MongoDB database: collections, camelCase conventions, kebab-case enums and indexes. The registry
/// keeps to the operations every MongoDB 6.0+ (Atlas, self-managed) and the jongodb test server share: no find
/// projections, no <c>$push</c>/<c>$max</c>, no change streams.
/// </summary>
public sealed class RegistryDatabase
{
    public const string DatasetsCollection = "datasets";
    public const string ModelsCollection = "models";
    public const string DeploymentsCollection = "deployments";
    public const string StatusChangesCollection = "modelStatusChanges";
    public const string DefaultDatabase = "inference";
    public const string OneDeploymentInProgressIndex = "one_deployment_in_progress_per_environment_and_target";

    private static readonly Lock ConventionLock = new();
    private static bool _conventionsRegistered;

    private RegistryDatabase(IMongoClient client, IMongoDatabase database)
    {
        Client = client;
        Database = database;
        Datasets = database.GetCollection<DatasetDocument>(DatasetsCollection);
        Models = database.GetCollection<ModelDocument>(ModelsCollection);
        Deployments = database.GetCollection<DeploymentDocument>(DeploymentsCollection);
        StatusChanges = database.GetCollection<StatusChange>(StatusChangesCollection);
    }

    public IMongoClient Client { get; }

    public IMongoDatabase Database { get; }

    public IMongoCollection<DatasetDocument> Datasets { get; }

    public IMongoCollection<ModelDocument> Models { get; }

    public IMongoCollection<DeploymentDocument> Deployments { get; }

    public IMongoCollection<StatusChange> StatusChanges { get; }

    /// <summary>
    /// Connects and makes sure the indexes exist. An unreachable server fails within <paramref name="timeout"/>
    /// (5 s by default) with a sentence naming it, rather than hanging.
    /// </summary>
    public static async Task<RegistryDatabase> ConnectAsync(string connectionString, string? databaseName = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        RegisterConventions();
        var url = new MongoUrl(connectionString);
        var settings = MongoClientSettings.FromUrl(url);
        settings.ServerSelectionTimeout = timeout ?? TimeSpan.FromSeconds(5);
        settings.ConnectTimeout = timeout ?? TimeSpan.FromSeconds(5);
        var client = new MongoClient(settings);
        var database = new RegistryDatabase(client, client.GetDatabase(databaseName ?? url.DatabaseName ?? DefaultDatabase));
        await Guard.RunAsync(url, database.Database.DatabaseNamespace.DatabaseName, settings.ServerSelectionTimeout, () => database.EnsureIndexesAsync(cancellationToken)).ConfigureAwait(false);
        return database;
    }

    private async Task EnsureIndexesAsync(CancellationToken cancellationToken)
    {
        var unique = new CreateIndexOptions { Unique = true };
        await Datasets.Indexes.CreateOneAsync(new CreateIndexModel<DatasetDocument>(
            Builders<DatasetDocument>.IndexKeys.Ascending(d => d.Name).Ascending(d => d.Version), unique), cancellationToken: cancellationToken).ConfigureAwait(false);
        await Models.Indexes.CreateManyAsync(
            [
                new CreateIndexModel<ModelDocument>(Builders<ModelDocument>.IndexKeys.Ascending(m => m.Name).Ascending(m => m.Version), unique),
                new CreateIndexModel<ModelDocument>(Builders<ModelDocument>.IndexKeys.Ascending(m => m.Status)),

                // The database itself guarantees one production model per name and target.
                new CreateIndexModel<ModelDocument>(
                    Builders<ModelDocument>.IndexKeys.Ascending(m => m.Name).Ascending(m => m.ProductionTarget),
                    new CreateIndexOptions<ModelDocument>
                    {
                        Unique = true,
                        Name = "one_production_model_per_name_and_target",
                        PartialFilterExpression = Builders<ModelDocument>.Filter.Eq(m => m.Status, ModelStatus.Production),
                    }),
            ],
            cancellationToken).ConfigureAwait(false);
        try
        {
            await Deployments.Indexes.CreateManyAsync(
                [
                    new CreateIndexModel<DeploymentDocument>(
                        Builders<DeploymentDocument>.IndexKeys.Ascending(d => d.Environment).Ascending(d => d.Target).Descending(d => d.StartedAt)),

                    // The database itself refuses a second deployment in progress for one environment and target.
                    new CreateIndexModel<DeploymentDocument>(
                        Builders<DeploymentDocument>.IndexKeys.Ascending(d => d.Environment).Ascending(d => d.Target),
                        new CreateIndexOptions<DeploymentDocument>
                        {
                            Unique = true,
                            Name = OneDeploymentInProgressIndex,
                            PartialFilterExpression = Builders<DeploymentDocument>.Filter.Eq(d => d.Status, DeploymentStatus.InProgress),
                        }),
                ],
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (Guard.IsDuplicateKey(ex))
        {
            throw await SeveralInProgressAsync(ex, cancellationToken).ConfigureAwait(false);
        }

        await StatusChanges.Indexes.CreateOneAsync(new CreateIndexModel<StatusChange>(
            Builders<StatusChange>.IndexKeys.Ascending(c => c.ModelId).Ascending(c => c.At)), cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A trail written before the index existed may hold two deployments in progress for one environment and target;
    /// the index cannot be built until a person decides which of them still runs. The registry tools cannot connect
    /// meanwhile, so the sentence names them and the one database command that closes each.
    /// </summary>
    private async Task<RegistryException> SeveralInProgressAsync(Exception cause, CancellationToken cancellationToken)
    {
        var running = await Deployments.Find(d => d.Status == DeploymentStatus.InProgress).SortBy(d => d.StartedAt).ToListAsync(cancellationToken).ConfigureAwait(false);
        var crowded = running.GroupBy(d => (d.Environment, d.Target)).Where(g => g.Count() > 1)
            .Select(g => $"{RegistryNames.Of(g.Key.Environment)} on {RegistryNames.Of(g.Key.Target)}: {string.Join(", ", g.Select(d => $"{d.Id} ({d.ModelName}@{d.ModelVersion}, {d.StartedAt:yyyy-MM-dd HH:mm} UTC)"))}");
        return new RegistryException(
            RegistryFailure.Conflict,
            $"More than one deployment is in progress for one environment and target ({string.Join("; ", crowded)}), which the registry no longer allows. "
            + $"Close each that no longer runs in database {Database.DatabaseNamespace.DatabaseName}: db.deployments.updateOne({{_id: ObjectId('ID')}}, {{$set: {{status: 'stopped', finishedAt: new Date(), reason: 'closed by hand'}}}}).",
            cause);
    }

    private static void RegisterConventions()
    {
        lock (ConventionLock)
        {
            if (_conventionsRegistered)
            {
                return;
            }

            var pack = new ConventionPack
            {
                new CamelCaseElementNameConvention(),
                new IgnoreExtraElementsConvention(true),
                new IgnoreIfNullConvention(true),
            };
            ConventionRegistry.Register("inference-registry", pack, type => type.Namespace?.StartsWith("Inference.Registry", StringComparison.Ordinal) == true);
            RegistryNames.Register<DatasetSourceKind>();
            RegistryNames.Register<ModelStatus>();
            RegistryNames.Register<TrainingSource>();
            RegistryNames.Register<DeploymentTarget>();
            RegistryNames.Register<DeploymentEnvironment>();
            RegistryNames.Register<DeploymentStrategy>();
            RegistryNames.Register<DeploymentStatus>();
            _conventionsRegistered = true;
        }
    }
}

/// <summary>Turns driver failures into registry failures with sentences.</summary>
internal static class Guard
{
    /// <summary>Runs the first operation of a connection; a failure becomes one sentence naming the servers, the database and the cause.</summary>
    public static async Task RunAsync(MongoUrl url, string database, TimeSpan timeout, Func<Task> operation)
    {
        // Servers only: the URI itself may carry a password.
        var where = $"MongoDB at {string.Join(", ", url.Servers)} (database '{database}')";
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            while (true)
            {
                try
                {
                    await operation().ConfigureAwait(false);
                    return;
                }
                catch (MongoException ex) when (IsTransient(ex) && clock.Elapsed < timeout)
                {
                    // A connection that failed pauses the pool until the next heartbeat finds the server again; the
                    // retry's server selection waits for that (within the timeout), so no sleep is needed here.
                }
            }
        }
        catch (TimeoutException ex)
        {
            throw new RegistryException(RegistryFailure.Unavailable, $"{where} did not answer within {timeout.TotalSeconds:0} s: {Cause(ex)}.", ex);
        }
        catch (MongoAuthenticationException ex)
        {
            throw new RegistryException(RegistryFailure.Unavailable, $"{where} refused the credentials in the URI: {FirstLine(ex.Message)}", ex);
        }
        catch (MongoException ex)
        {
            throw new RegistryException(RegistryFailure.Unavailable, $"{where} failed: {FirstLine(ex.Message)}", ex);
        }
    }

    /// <summary>A first connection that broke on a busy host, not an answer from the server.</summary>
    private static bool IsTransient(MongoException exception) =>
        exception is MongoConnectionPoolPausedException or (MongoConnectionException and not MongoAuthenticationException);

    /// <summary>
    /// The driver's server-selection timeout describes the cluster in one long line; the heartbeat's own exception
    /// inside it says what actually happened.
    /// </summary>
    private static string Cause(TimeoutException exception)
    {
        var text = exception.ToString();
        return text switch
        {
            _ when text.Contains("Connection refused", StringComparison.OrdinalIgnoreCase) => "connection refused",
            _ when text.Contains("Authentication failed", StringComparison.OrdinalIgnoreCase) => "authentication failed (check the user and password in the URI)",
            _ when text.Contains("No such host", StringComparison.OrdinalIgnoreCase) || text.Contains("Name or service not known", StringComparison.OrdinalIgnoreCase) => "host not found",
            _ when text.Contains("timed out", StringComparison.OrdinalIgnoreCase) => "the connection timed out",
            _ => "no server could be selected",
        };
    }

    /// <summary>mongod reports a duplicate key as a write error, the test server as a command error: code 11000 either way.</summary>
    public static bool IsDuplicateKey(Exception exception) => exception switch
    {
        MongoWriteException write => write.WriteError?.Category == ServerErrorCategory.DuplicateKey || write.WriteError?.Code == 11000,
        MongoBulkWriteException bulk => bulk.WriteErrors.Any(e => e.Code == 11000),
        MongoCommandException command => command.Code == 11000,
        _ => false,
    };

    private static string FirstLine(string text) => text.Split('\n')[0];
}

/// <summary>Our own version numbers: the next per name, taken by inserting with a unique (name, version) index.</summary>
internal static class NextVersion
{
    private const int Attempts = 200;

    /// <summary>
    /// Inserts <paramref name="create"/>(max + 1); when a concurrent writer took that number first, the unique index
    /// refuses the insert and it tries the next. No counter document, so a failed registration leaves no gap.
    /// </summary>
    public static async Task<T> InsertAsync<T>(IMongoCollection<T> collection, string name, Func<int, T> create, Func<T, int> versionOf, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            var latest = await collection.Find(new BsonDocument("name", name))
                .Sort(new BsonDocument("version", -1))
                .Limit(1)
                .FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
            var version = latest is null ? 1 : versionOf(latest) + 1;
            var document = create(version);
            try
            {
                await collection.InsertOneAsync(document, cancellationToken: cancellationToken).ConfigureAwait(false);
                return document;
            }
            catch (Exception ex) when (Guard.IsDuplicateKey(ex))
            {
                // Someone else registered this number meanwhile: back off a little and take the next one.
                await Task.Delay(Random.Shared.Next(1, 5 + attempt), cancellationToken).ConfigureAwait(false);
            }
        }

        throw new RegistryException(RegistryFailure.Conflict, $"Could not assign a version to '{name}' after {Attempts} attempts: too many concurrent registrations.");
    }
}
