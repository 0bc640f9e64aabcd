<?php
// Shop front page (trimmed): the form below posts to contact.php.
?>
<form method="post" action="/contact.php">
  <input name="email" type="email"> <textarea name="message"></textarea>
  <button>Send</button>
</form>
