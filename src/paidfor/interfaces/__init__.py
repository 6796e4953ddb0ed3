"""What people and programs touch: the ``paidfor`` command (``cli``) and, in time, the HTTP
app. Interfaces parse input, call a service and render its result; nothing below imports
them."""
