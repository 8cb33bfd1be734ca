namespace Inference.Core.Batching;

/// <summary>Hears about every batch the runner executes; hosts turn this into metrics.</summary>
public interface IBatchObserver
{
    void BatchCompleted(int batchSize, TimeSpan inference);

    void BatchFailed(int batchSize, Exception exception);
}
