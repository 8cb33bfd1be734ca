using System.Net;
using System.Net.Sockets;

namespace Inference.Testing;

public static class LoopbackPorts
{
    /// <summary>A 127.0.0.1 port nothing listens on right now: a stand-in for a server that is down.</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
