"""One root error for the gateway; services raise these, the web layer maps them to answers."""


class GatewayError(Exception):
    """Root of every error the gateway raises on purpose."""


class NotFound(GatewayError):
    pass


class Unauthorized(GatewayError):
    pass
