<?php
eval('mail("target@example.org", "Hi", "spam body\n");');
