// Tests never send real pushes or mail unless a test points them somewhere.
process.env.SOCKET_SERVER_URL ??= "http://127.0.0.1:9";
